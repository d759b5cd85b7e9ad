"""The data behind the site's views: the map, the network and the timeline."""
