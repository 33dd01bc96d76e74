"""The job monitor screen: per-VM rows, actions, and the detail pane (tasks, log, throughput), fed from the
engine off the GUI thread (``feed``)."""
