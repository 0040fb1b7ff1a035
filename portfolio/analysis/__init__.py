"""Stage 3, the questions a reviewer asks of a solved case.

Figures, ranking, rejection reasons, diagnosis, frontier, scenarios, sensitivity, and the
sweep executor they share.
"""
