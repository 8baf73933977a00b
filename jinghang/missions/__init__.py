"""Pure mission domain: plans, flight patterns, the template catalog, safety checks and file
formats (QGroundControl .plan, WPL 110 .waypoints, KML/KMZ, GeoJSON). No I/O beyond reading
files it is handed."""
