print("hotline-county: not yet built")
