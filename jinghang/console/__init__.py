"""jinghang.console: the browser console, static files served at ``/`` by the API app (plain
ES modules in ``js/``, zh and en strings in ``js/i18n.js``, vendored Leaflet and an offline base
map in ``vendor/`` and ``data/``)."""
