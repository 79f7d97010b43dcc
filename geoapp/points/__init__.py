"""A clustered point layer's points on their way to the map: read as arrays (``arrays``),
clustered for one view on the server (``clusters``), and the first symbols the map page comes
with (``first_view``); the browser's own index of every point is static/cluster-worker.js."""
