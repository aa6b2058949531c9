"""What a clinic reads back about itself: outcomes, exports, the audit log."""
