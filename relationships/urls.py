app_name = "relationships"

urlpatterns: list = []
