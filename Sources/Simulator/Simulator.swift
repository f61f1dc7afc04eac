// Simulator placeholder
