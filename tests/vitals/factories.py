"""Small City Vitals import files, and a helper that imports them through the service."""

from vitals.services import vitals_import

SOURCES = (
    "source_id,title,publisher,url,licence\n"
    "acs1,ACS 1-year,U.S. Census Bureau,https://www.census.gov/acs,Public domain\n"
    "acs5,ACS 5-year,U.S. Census Bureau,https://www.census.gov/acs,Public domain\n"
)
INDICATORS = (
    "code,name,pillar,unit,higher_is_better,definition\n"
    "college_attainment,College attainment,talent,share,1,Adults with a degree.\n"
    "poverty_rate,Poverty rate,metropolitan_performance,share,0,People below the poverty line.\n"
    "transit_use,Transit use,connections,share,1,Workers commuting by transit.\n"
    "population,Population,metropolitan_performance,persons,,Residents.\n"
)
METROS = (
    "cbsa_code,name,pop_2023\n"
    '10001,"Alpha-Beta, NY-NJ",5000000\n'
    '10002,"Gamma, OH",3000000\n'
    '10003,"Delta, TX",2000000\n'
    '10004,"Epsilon, CA",1500000\n'
    '10005,"Zeta, WA",400000\n'
)
OBSERVATION_HEADER = "metro_cbsa_code,indicator,year,period,value,moe,source_id\n"


def observations(*rows: str) -> str:
    return OBSERVATION_HEADER + "".join(f"{row}\n" for row in rows)


def import_files(*, observations_csv: str = "", dry_run: bool = False, **extra):
    files = [
        ("sources.csv", SOURCES),
        ("indicators.csv", INDICATORS),
        ("metros.csv", METROS),
    ]
    if observations_csv:
        files.append(("observations.csv", observations_csv))
    files += list(extra.items())
    return vitals_import(files=files, dry_run=dry_run)
