"""The page, one module per section, in the order a visitor meets them: settings (the sidebar),
source (the data), training, results, try_it, then the deeper tabs (results' curves and errors,
learned, runs) and share. cache holds every st.cache_* function. Only this package and
streamlit_app.py import streamlit; everything they draw is computed by the core, textclf."""
