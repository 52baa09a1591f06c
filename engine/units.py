"""Unit constants shared by every engine module."""

HOURS_PER_DAY = 24
HOURS_PER_WEEK = 168
# AWS Compute Optimizer, Kubecost and Azure Advisor all quote monthly figures on 730 hours.
HOURS_PER_MONTH = 730
MIB_PER_GIB = 1024
