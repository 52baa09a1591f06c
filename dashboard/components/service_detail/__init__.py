"""Service detail page sections: cost and usage charts, recommendations and rule outcomes."""
