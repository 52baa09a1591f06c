"""Every st.cache_data read of the dashboard, one module per page family (fleet, budgets, ...).

`_sessions` is excluded from the cache key (leading underscore); every other argument is hashed.
Only the process-wide resources (deps.py and the simulator's price catalog) use st.cache_resource.
"""
