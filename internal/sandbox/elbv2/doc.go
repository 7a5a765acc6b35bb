// Package elbv2 is the sandbox's Elastic Load Balancing v2: application,
// network and gateway load balancers with their attributes, target groups
// with health check settings and attributes, target registration and
// health, listeners with their attributes, listener rules and tags — what
// the Terraform AWS provider's aws_lb, aws_lb_target_group, aws_lb_listener,
// aws_lb_listener_rule and aws_lb_target_group_attachment resources and
// aws-sdk-go-v2 callers use.
//
// ELBv2 speaks the query protocol (form Action=…, XML answers in the
// http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/ namespace) under
// the signing name "elasticloadbalancing".
//
// # Behaviour kept from AWS
//
//   - Load balancers are placed in real subnets and security groups of the
//     sandbox's EC2 (ec2lookup.go reads its documents): an application load
//     balancer needs subnets in two or more Availability Zones of one VPC;
//     without security groups it gets the VPC's default group. They are
//     "active" at once, with a DNS name and the region's canonical hosted
//     zone.
//   - Describe*Attributes answer the full default attribute set AWS returns
//     for the resource's type and protocol (attributes.go); unknown keys are
//     a ValidationError naming the key, as AWS words it.
//   - Target groups get AWS's health check defaults per protocol and target
//     type; a group's LoadBalancerArns are the load balancers whose listeners
//     or rules forward to it, and deleting a group in use is ResourceInUse.
//   - Target health is what the health checks say (targets.go, sim.go): the
//     workload simulation runs them at each group's interval against the
//     simulated tasks and records each result with RecordHealthCheck;
//     initial until HealthyThresholdCount passes in a row (healthy) or
//     UnhealthyThresholdCount failures (unhealthy, with the reason and
//     description AWS gives), unused while no load balancer forwards to the
//     group, draining for the deregistration delay after
//     DeregisterTargets.
//   - Listener and rule actions are answered as AWS fills them: Order,
//     ForwardConfig for a TargetGroupArn and the reverse, redirect
//     placeholders. Each listener has its default rule (IsDefault, priority
//     "default").
//   - Create calls with the same name and settings are idempotent; different
//     settings are DuplicateLoadBalancerName / DuplicateTargetGroupName.
//     Deleting a load balancer that does not exist succeeds; deletion
//     protection answers OperationNotPermitted.
//
// # What it does not do
//
// It does not route traffic itself (the workload simulation serves each
// application load balancer's HTTP listeners on loopback, reading
// LoadBalancers and TargetGroups), create the network interfaces AWS creates for a
// load balancer, check ACM certificates (any ACM or IAM certificate ARN is
// accepted) or run instances (registering an instance target is
// InvalidTarget).
//
// # Used by other services
//
// ECS registers the IP addresses of a service's tasks with RegisterTargets
// and DeregisterTargets inside its own transaction, reads target groups with
// DescribeTargetGroup and finds subnets and security groups with
// LookupSubnet and LookupSecurityGroup.
package elbv2
