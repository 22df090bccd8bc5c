// Placeholder until the HotlineWire layer lands.
