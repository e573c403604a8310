"""Static files the dashboard serves (CSS, images); installed as ``dashboard.assets``."""
