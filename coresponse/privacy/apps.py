from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class PrivacyConfig(AppConfig):
    name = "coresponse.privacy"
    label = "privacy"

    def ready(self):
        from coresponse.agencies.models import Program
        from coresponse.privacy.models import SharingAgreement
        from coresponse.privacy.policy import forget_terms

        # The policy caches agreements and program partners for a minute; any change through
        # the ORM (the admin, a service) takes effect at once instead.
        def changed(**kwargs):
            forget_terms()

        for signal in (post_save, post_delete):
            signal.connect(changed, sender=SharingAgreement, weak=False)
        m2m_changed.connect(changed, sender=Program.agencies.through, weak=False)
