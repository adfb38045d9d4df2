"""The sample employee handbook and QA set shipped with helpbot."""
