from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"

    def ready(self) -> None:
        from portal.audit import register_event_types

        from .events import AuditType

        register_event_types(AuditType)

        from portal.dashboard import register_panel

        from .panels import agreement_panel, enrollment_draft_panel

        register_panel(enrollment_draft_panel, order=10)
        register_panel(agreement_panel, order=20)

        from portal.scale import register_scale_step

        from .scale import seed_enrollment

        register_scale_step("enrollment", seed_enrollment, order=20)
