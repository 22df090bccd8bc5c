// Placeholder until the HotlineProfiles layer lands.
