"""The sandbox side of grading: only these files are visible to student code."""
