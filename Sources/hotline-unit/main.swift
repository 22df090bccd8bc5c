print("hotline-unit: not yet built")
