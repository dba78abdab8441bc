"""Road network: import from OpenStreetMap, storage, snapping and travel-time ranking.

Modules, lightest first (nothing heavy is imported by this package itself, so importing the table
model for migrations costs nothing):

* :mod:`tansiq.roads.errors`   bilingual errors (a :class:`~tansiq.errors.Problem`)
* :mod:`tansiq.roads.tags`     OSM tag rules: drivable classes, speeds, one-way
* :mod:`tansiq.roads.network`  :class:`RoadNetwork`, the arrays and their (de)serialisation
* :mod:`tansiq.roads.osm`      PBF reader (pyosmium) → :class:`RoadNetwork`
* :mod:`tansiq.roads.snap`     :class:`Snapper`: points → positions on edges
* :mod:`tansiq.roads.engine`   :class:`Router`: rank units for an incident; straight-line fallback
* :mod:`tansiq.roads.storage`  save/load the network in the database
* :mod:`tansiq.roads.synthetic` generated grids for tests and benchmarks
"""
