"""Navigation shown in the page shell, chosen by the signed-in person's roles."""


def navigation(request):
    return {}
