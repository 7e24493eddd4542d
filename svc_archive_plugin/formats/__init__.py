"""Date and number formats for the languages the plugin serves (``FORMAT_MODULE_PATH``)."""
