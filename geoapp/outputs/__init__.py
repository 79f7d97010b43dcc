"""What the data becomes for people off the screen: printed and downloaded documents."""
