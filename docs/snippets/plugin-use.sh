python use_my_plugin.py
