depends_on = ["observability", "workload"]
