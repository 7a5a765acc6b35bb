// Package ecs is the sandbox's Elastic Container Service: clusters (settings,
// configuration, capacity providers), task definitions (revisions,
// deregistration, deletion), services (deployment configuration and circuit
// breaker, load balancers, awsvpc network configuration, desired count) and
// their tasks, tags and account settings — what the Terraform AWS provider's
// aws_ecs_cluster, aws_ecs_cluster_capacity_providers,
// aws_ecs_task_definition, aws_ecs_service and aws_ecs_account_setting_default
// resources and aws-sdk-go-v2 callers use.
//
// ECS speaks JSON 1.1 (X-Amz-Target AmazonEC2ContainerServiceV20141113.*)
// under the signing name "ecs".
//
// # Behaviour kept from AWS
//
//   - Describe calls answer a missing cluster, service or task as a failure
//     with reason MISSING, not an error; a deleted cluster is INACTIVE, a
//     deleted service INACTIVE (DRAINING in DeleteService's answer).
//     ClusterNotFoundException, ServiceNotFoundException,
//     ServiceNotActiveException, ClusterContainsServicesException,
//     ClusterContainsTasksException, InvalidParameterException and
//     ClientException are answered where AWS answers them.
//   - RegisterTaskDefinition numbers revisions per family (never reused),
//     applies AWS's registration defaults to container definitions (see
//     taskdef.go) and checks Fargate's rules: awsvpc, task-level cpu and
//     memory in a valid combination, an execution role for awslogs.
//   - CreateService checks the task definition, the launch type, subnets
//     and security groups (against the sandbox's EC2) and load balancers
//     (against its ELBv2: the target group must be of type ip for awsvpc and
//     forwarded to by a load balancer; the container and port must exist).
//   - A service's tasks are records driven by the sandbox's virtual clock
//     (task.go, service.go, sim.go): PROVISIONING, PENDING, then RUNNING
//     after the start delay (Simulation.StartDelay, default 30 s), when they
//     are registered in the service's target groups. Step (called by the
//     workload simulation, internal/sandbox/workload) moves tasks along and
//     stops those that die, fail container health checks, or are unhealthy
//     in a target group after the health check grace period; the scheduler
//     (reconcile) replaces them, spreads tasks over the zones of the
//     service's subnets (skipping impaired zones), rolls deployments out
//     within minimumHealthyPercent/maximumPercent, and trips the deployment
//     circuit breaker after max(3, min(200, ⌈desired/2⌉)) failed tasks
//     (FAILED; with rollback, a new deployment of the last completed task
//     definition). runningCount and pendingCount follow the tasks; the
//     deployment is COMPLETED when the new tasks all run, which is what the
//     provider's wait_for_steady_state waits for. Stopping is immediate.
//   - healthStatus comes from container health checks only (UNKNOWN
//     without one), as on AWS.

// # What it does not do
//
// It runs no containers and has no container instances: EC2 and EXTERNAL
// launch types accept services whose tasks cannot be placed (runningCount 0,
// with a service event saying so). Blue/green (CODE_DEPLOY) and EXTERNAL
// deployment controllers, custom capacity providers and Service Connect
// namespaces are not implemented.
//
// # Used by other services
//
// Application Auto Scaling reads and sets a service's desired count with
// ServiceDesiredCount and SetServiceDesiredCount inside its own transaction;
// (*Service).SetDesiredCount does the same in a transaction of its own. The
// workload simulation calls Step, reads Tasks and Services, and sets the
// start delay and impaired zones with SetSimulation.
package ecs
