// Placeholder until the HotlineNode layer lands.
