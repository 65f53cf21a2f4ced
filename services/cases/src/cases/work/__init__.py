"""The work on a case (issue 3 part B): one module per topic, each with its commands and reads."""
