"""The DG-SA page: FastAPI app (app.py), caller checks (auth.py), the page (static/)."""
