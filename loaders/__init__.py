"""The build, as a pipeline: sources → map → validate → link → publish (`build.py` runs the stages in order)."""
