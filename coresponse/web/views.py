"""The shell: sign-in and each role's home page. Thin: every read is a selector."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from coresponse.agencies.models import Role
from coresponse.dispatch import board_views
from coresponse.dispatch.selectors import as_of
from coresponse.web import selectors

SYSTEM_USE_NOTICE = (
    "Authorized users only. Activity is logged. "
    "Records contain protected health and criminal-justice information."
)


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    extra_context = {"system_use_notice": SYSTEM_USE_NOTICE}


@login_required
def home(request):
    home = selectors.home_for(request.user, request.GET.get("as"))
    at = as_of()
    context = selectors.home_context(request.user, home, at, request.GET.get("program"))
    context.update(
        home=home,
        as_of=at,
        roles=[(r, selectors.HOMES[r].heading) for r in selectors.user_roles(request.user)],
    )
    # The live parts: a dispatcher's home is the board; a team member's shows their team's call.
    if home.role == Role.DISPATCHER:
        context["board_html"] = board_views.render_board(request)
    else:
        context["duty_html"] = board_views.render_duty(request)
    return render(request, home.template, context)
