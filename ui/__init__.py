"""The only code that touches Streamlit state and caches; shared by app.py and pages/."""
