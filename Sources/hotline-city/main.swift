print("hotline-city: not yet built")
