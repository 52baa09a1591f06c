"""Changes page sections: realized savings against prediction, SLA after apply."""
