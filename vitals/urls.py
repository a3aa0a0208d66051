from django.urls import path

from . import dividend_views, views
from .views import editions

app_name = "vitals"
urlpatterns = [
    path("", views.rankings, name="rankings"),
    path("rankings.csv", views.rankings_csv, name="rankings_csv"),
    path("api/rankings.json", views.rankings_json, name="rankings_json"),
    path("city-vitals.xlsx", views.figures_xlsx, name="figures_xlsx"),
    path("methodology/", views.methodology, name="methodology"),
    path("my-metro/", views.my_metro, name="my_metro"),
    path("my-metro/brief.pdf", views.my_metro_brief, name="my_metro_brief"),
    path("my-metro/scenarios/", views.scenario_save, name="scenario_save"),
    path("my-metro/scenarios/<int:pk>/delete/", views.scenario_delete, name="scenario_delete"),
    path("my-metro/scenarios/<int:pk>/brief.pdf", views.scenario_brief, name="scenario_brief"),
    path("compare/", views.compare, name="compare"),
    path("dividends/", dividend_views.dividends, name="dividends"),
    path("metros/<slug:slug>/", views.metro, name="metro"),
    path("metros/<slug:slug>/dividends/", dividend_views.metro_dividends, name="metro_dividends"),
    path("metros/<slug:slug>/badge.svg", views.badge, name="badge"),
    path("metros/<slug:slug>/data.csv", views.metro_csv, name="metro_csv"),
    path("indicators/<slug:slug>/", views.indicator, name="indicator"),
    path("editions/", editions.editions, name="editions"),
    path("editions/<slug:slug>/", editions.edition, name="edition"),
    path("editions/<slug:slug>/moved/", editions.edition_moved, name="edition_moved"),
    path("editions/<slug:slug>/figures.csv", editions.edition_csv, name="edition_csv"),
    path("editions/<slug:slug>/figures.json", editions.edition_json, name="edition_json"),
]
