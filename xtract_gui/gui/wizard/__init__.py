"""The wizard screen: its navigation and answers in plain Python (``flow*``), the slow calls it makes
(``backend``), and its six pages (``pages_*``) in ``widget.WizardWidget``."""
