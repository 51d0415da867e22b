"""The page, a module per section in a visitor's order: settings, source, training, results, try_it,
the deeper tabs (results' curves and errors, learned, runs), share; cache holds every st.cache_*.
Only this package and streamlit_app.py import streamlit; what they draw, textclf computes."""
