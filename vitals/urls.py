app_name = "vitals"
urlpatterns: list = []
