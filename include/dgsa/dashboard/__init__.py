"""The DG-SA page's data: read-only queries on the marts through the analyst role
(`source.py`: which connection; `queries.py`: what the page shows; `xlsx.py`: the follow-up
workbook). The web app itself is the Airflow plugin in plugins/dgsa_page/.

May import: dgsa.foundation."""
