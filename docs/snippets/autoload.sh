fer-sdk plugins
FER_SDK_DISABLE_PLUGIN_AUTOLOAD=1 fer-sdk plugins
FER_SDK_PLUGINS=example fer-sdk plugins
