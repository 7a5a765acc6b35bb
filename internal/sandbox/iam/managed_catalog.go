package iam

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"strings"
	"time"
)

// awsManagedPolicy is one AWS-managed policy the sandbox knows. Paths are
// AWS's real ones; documents are AWS's for the small policies and an
// abbreviated but representative statement for the large ones (the sandbox
// does not evaluate permissions).
type awsManagedPolicy struct {
	Name        string
	Path        string
	Description string
	Actions     []string // Allow Actions on Resource "*"
	NotActions  []string // Allow NotAction on Resource "*" (PowerUserAccess)
}

// awsManagedCreated is the CreateDate/UpdateDate the catalog reports.
var awsManagedCreated = time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)

// awsManagedPolicies is the catalog: a constant table, sorted by name.
var awsManagedPolicies = []awsManagedPolicy{
	{Name: "AdministratorAccess", Path: "/", Description: "Provides full access to AWS services and resources.", Actions: []string{"*"}},
	{Name: "AmazonAPIGatewayPushToCloudWatchLogs", Path: "/service-role/", Description: "Allows API Gateway to push logs to user's account.", Actions: []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents"}},
	{Name: "AmazonDynamoDBFullAccess", Path: "/", Description: "Provides full access to Amazon DynamoDB via the AWS Management Console.", Actions: []string{"dynamodb:*", "application-autoscaling:*", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm", "kms:DescribeKey", "kms:ListAliases"}},
	{Name: "AmazonDynamoDBReadOnlyAccess", Path: "/", Description: "Provides read only access to Amazon DynamoDB via the AWS Management Console.", Actions: []string{"dynamodb:BatchGetItem", "dynamodb:Describe*", "dynamodb:List*", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PartiQLSelect"}},
	{Name: "AmazonEC2ContainerRegistryPowerUser", Path: "/", Description: "Provides full access to Amazon EC2 Container Registry repositories, but does not allow repository deletion or policy changes.", Actions: []string{"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages"}},
	{Name: "AmazonEC2ContainerRegistryReadOnly", Path: "/", Description: "Provides read-only access to Amazon EC2 Container Registry repositories.", Actions: []string{"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:GetRepositoryPolicy", "ecr:DescribeRepositories", "ecr:ListImages", "ecr:DescribeImages", "ecr:BatchGetImage", "ecr:GetLifecyclePolicy", "ecr:GetLifecyclePolicyPreview", "ecr:ListTagsForResource", "ecr:DescribeImageScanFindings"}},
	{Name: "AmazonEC2ContainerServiceAutoscaleRole", Path: "/service-role/", Description: "Policy to enable Task Autoscaling for Amazon EC2 Container Service", Actions: []string{"ecs:DescribeServices", "ecs:UpdateService", "cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"}},
	{Name: "AmazonEC2ContainerServiceRole", Path: "/service-role/", Description: "Default policy for Amazon ECS service role.", Actions: []string{"ec2:AuthorizeSecurityGroupIngress", "ec2:Describe*", "elasticloadbalancing:DeregisterInstancesFromLoadBalancer", "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:Describe*", "elasticloadbalancing:RegisterInstancesWithLoadBalancer", "elasticloadbalancing:RegisterTargets"}},
	{Name: "AmazonEC2ContainerServiceforEC2Role", Path: "/service-role/", Description: "Default policy for the Amazon EC2 Role for Amazon EC2 Container Service.", Actions: []string{"ec2:DescribeTags", "ecs:CreateCluster", "ecs:DeregisterContainerInstance", "ecs:DiscoverPollEndpoint", "ecs:Poll", "ecs:RegisterContainerInstance", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState", "ecs:Submit*", "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"}},
	{Name: "AmazonEC2FullAccess", Path: "/", Description: "Provides full access to Amazon EC2 via the AWS Management Console.", Actions: []string{"ec2:*", "elasticloadbalancing:*", "cloudwatch:*", "autoscaling:*"}},
	{Name: "AmazonEC2ReadOnlyAccess", Path: "/", Description: "Provides read only access to Amazon EC2 via the AWS Management Console.", Actions: []string{"ec2:Describe*", "elasticloadbalancing:Describe*", "cloudwatch:ListMetrics", "cloudwatch:GetMetricStatistics", "cloudwatch:Describe*", "autoscaling:Describe*"}},
	{Name: "AmazonECSTaskExecutionRolePolicy", Path: "/service-role/", Description: "Provides access to other AWS service resources that are required to run Amazon ECS tasks", Actions: []string{"ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"}},
	{Name: "AmazonECS_FullAccess", Path: "/", Description: "Provides administrative access to Amazon ECS resources and enables ECS features through access to other AWS service resources.", Actions: []string{"ecs:*", "application-autoscaling:*", "elasticloadbalancing:*", "cloudwatch:*", "logs:*", "iam:ListRoles", "iam:ListInstanceProfiles"}},
	{Name: "AmazonEKSClusterPolicy", Path: "/", Description: "This policy provides Kubernetes the permissions it requires to manage resources on your behalf.", Actions: []string{"autoscaling:DescribeAutoScalingGroups", "autoscaling:UpdateAutoScalingGroup", "ec2:Describe*", "ec2:CreateTags", "ec2:CreateSecurityGroup", "elasticloadbalancing:*", "kms:DescribeKey"}},
	{Name: "AmazonEKSWorkerNodePolicy", Path: "/", Description: "This policy allows Amazon EKS worker nodes to connect to Amazon EKS Clusters.", Actions: []string{"ec2:DescribeInstances", "ec2:DescribeInstanceTypes", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVolumes", "ec2:DescribeVolumesModifications", "ec2:DescribeVpcs", "eks:DescribeCluster", "eks-auth:AssumeRoleForPodIdentity"}},
	{Name: "AmazonEKS_CNI_Policy", Path: "/", Description: "This policy provides the Amazon VPC CNI Plugin the permissions it requires to modify the IP address configuration on your EKS worker nodes.", Actions: []string{"ec2:AssignPrivateIpAddresses", "ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeInstances", "ec2:DescribeTags", "ec2:DescribeNetworkInterfaces", "ec2:DescribeInstanceTypes", "ec2:DetachNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute", "ec2:UnassignPrivateIpAddresses"}},
	{Name: "AmazonEventBridgeFullAccess", Path: "/", Description: "Provides full access to Amazon EventBridge.", Actions: []string{"events:*", "schemas:*", "scheduler:*", "pipes:*"}},
	{Name: "AmazonRDSFullAccess", Path: "/", Description: "Provides full access to Amazon RDS via the AWS Management Console.", Actions: []string{"rds:*", "application-autoscaling:*", "cloudwatch:*", "ec2:Describe*", "sns:ListSubscriptions", "sns:ListTopics", "sns:Publish", "logs:DescribeLogStreams", "logs:GetLogEvents"}},
	{Name: "AmazonS3FullAccess", Path: "/", Description: "Provides full access to all buckets via the AWS Management Console.", Actions: []string{"s3:*", "s3-object-lambda:*"}},
	{Name: "AmazonS3ReadOnlyAccess", Path: "/", Description: "Provides read only access to all buckets via the AWS Management Console.", Actions: []string{"s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"}},
	{Name: "AmazonSNSFullAccess", Path: "/", Description: "Provides full access to Amazon SNS via the AWS Management Console.", Actions: []string{"sns:*"}},
	{Name: "AmazonSNSReadOnlyAccess", Path: "/", Description: "Provides read only access to Amazon SNS via the AWS Management Console.", Actions: []string{"sns:GetTopicAttributes", "sns:List*"}},
	{Name: "AmazonSQSFullAccess", Path: "/", Description: "Provides full access to Amazon SQS via the AWS Management Console.", Actions: []string{"sqs:*"}},
	{Name: "AmazonSQSReadOnlyAccess", Path: "/", Description: "Provides read only access to Amazon SQS via the AWS Management Console.", Actions: []string{"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListDeadLetterSourceQueues", "sqs:ListQueues", "sqs:ListMessageMoveTasks", "sqs:ListQueueTags"}},
	{Name: "AmazonSSMManagedInstanceCore", Path: "/", Description: "The policy for Amazon EC2 Role to enable AWS Systems Manager service core functionality.", Actions: []string{"ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument", "ssm:DescribeDocument", "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters", "ssm:ListAssociations", "ssm:ListInstanceAssociations", "ssm:PutInventory", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel", "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply"}},
	{Name: "AmazonSSMReadOnlyAccess", Path: "/", Description: "Provides read only access to Amazon SSM.", Actions: []string{"ssm:Describe*", "ssm:Get*", "ssm:List*"}},
	{Name: "AWSApplicationAutoscalingDynamoDBTablePolicy", Path: "/aws-service-role/", Description: "Policy granting permissions to Application Auto Scaling to access DynamoDB and CloudWatch.", Actions: []string{"dynamodb:DescribeTable", "dynamodb:UpdateTable", "cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"}},
	{Name: "AWSApplicationAutoscalingECSServicePolicy", Path: "/aws-service-role/", Description: "Policy granting permissions to Application Auto Scaling to access ECS and CloudWatch.", Actions: []string{"ecs:DescribeServices", "ecs:UpdateService", "cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "cloudwatch:DeleteAlarms"}},
	{Name: "AWSElasticLoadBalancingServiceRolePolicy", Path: "/aws-service-role/", Description: "Service Linked Role Policy for AWS Elastic Load Balancing Control Plane", Actions: []string{"ec2:DescribeAddresses", "ec2:DescribeInstances", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs", "ec2:DescribeInternetGateways", "ec2:DescribeAccountAttributes", "ec2:DescribeClassicLinkInstances", "ec2:DescribeVpcClassicLink", "ec2:CreateSecurityGroup", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute", "ec2:AuthorizeSecurityGroupIngress", "ec2:AssociateAddress", "ec2:DisassociateAddress", "ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:AssignIpv6Addresses", "ec2:UnassignIpv6Addresses", "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries"}},
	{Name: "AWSKeyManagementServicePowerUser", Path: "/", Description: "Provides access to AWS Key Management Service (KMS).", Actions: []string{"kms:CreateAlias", "kms:CreateKey", "kms:DeleteAlias", "kms:Describe*", "kms:GenerateRandom", "kms:Get*", "kms:List*", "kms:TagResource", "kms:UntagResource", "iam:ListGroups", "iam:ListRoles", "iam:ListUsers"}},
	{Name: "AWSLambdaBasicExecutionRole", Path: "/service-role/", Description: "Provides write permissions to CloudWatch Logs.", Actions: []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}},
	{Name: "AWSLambdaDynamoDBExecutionRole", Path: "/service-role/", Description: "Provides list and read access to DynamoDB streams and write permissions to CloudWatch logs.", Actions: []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}},
	{Name: "AWSLambdaRole", Path: "/service-role/", Description: "Default policy for AWS Lambda service role.", Actions: []string{"lambda:InvokeFunction"}},
	{Name: "AWSLambdaSQSQueueExecutionRole", Path: "/service-role/", Description: "Provides receive message, delete message, and read attribute access to SQS queues, and write permissions to CloudWatch logs.", Actions: []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}},
	{Name: "AWSLambdaVPCAccessExecutionRole", Path: "/service-role/", Description: "Provides minimum permissions for a Lambda function to execute while accessing a resource within a VPC - create, describe, delete network interfaces and write permissions to CloudWatch Logs.", Actions: []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}},
	{Name: "AWSLambda_FullAccess", Path: "/", Description: "Grants full access to AWS Lambda service, AWS Lambda console features, and other related AWS services.", Actions: []string{"lambda:*", "cloudformation:DescribeStacks", "cloudwatch:ListMetrics", "cloudwatch:GetMetricData", "iam:ListRoles", "logs:DescribeLogGroups", "logs:GetLogEvents", "logs:FilterLogEvents"}},
	{Name: "AWSLambda_ReadOnlyAccess", Path: "/", Description: "Grants read-only access to AWS Lambda service, AWS Lambda console features, and other related AWS services.", Actions: []string{"lambda:Get*", "lambda:List*", "cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "logs:DescribeLogGroups", "logs:GetLogEvents"}},
	{Name: "AWSXRayDaemonWriteAccess", Path: "/", Description: "Allow the AWS X-Ray Daemon to relay raw trace segments data to the service's API and retrieve sampling data (rules, targets, etc.) to be used by the X-Ray SDK.", Actions: []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"}},
	{Name: "AmazonECSServiceRolePolicy", Path: "/aws-service-role/", Description: "Policy to enable Amazon ECS to manage your cluster.", Actions: []string{"ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission", "ec2:Describe*", "ec2:DetachNetworkInterface", "elasticloadbalancing:DeregisterInstancesFromLoadBalancer", "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:Describe*", "elasticloadbalancing:RegisterInstancesWithLoadBalancer", "elasticloadbalancing:RegisterTargets", "route53:ChangeResourceRecordSets", "servicediscovery:RegisterInstance", "servicediscovery:DeregisterInstance", "autoscaling:Describe*", "autoscaling:UpdateAutoScalingGroup", "logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:DescribeLogGroups"}},
	{Name: "AmazonRDSServiceRolePolicy", Path: "/aws-service-role/", Description: "Allows Amazon RDS to manage AWS resources on your behalf", Actions: []string{"ec2:AllocateAddress", "ec2:AssociateAddress", "ec2:AuthorizeSecurityGroupIngress", "ec2:CreateNetworkInterface", "ec2:CreateSecurityGroup", "ec2:DeleteNetworkInterface", "ec2:DeleteSecurityGroup", "ec2:Describe*", "ec2:DisassociateAddress", "ec2:ModifyNetworkInterfaceAttribute", "ec2:ReleaseAddress", "ec2:RevokeSecurityGroupIngress", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "cloudwatch:PutMetricData"}},
	{Name: "AutoScalingServiceRolePolicy", Path: "/aws-service-role/", Description: "Enables access to AWS Services and Resources used or managed by Auto Scaling", Actions: []string{"ec2:AttachClassicLinkVpc", "ec2:CancelSpotInstanceRequests", "ec2:CreateFleet", "ec2:CreateTags", "ec2:DeleteTags", "ec2:Describe*", "ec2:DetachClassicLinkVpc", "ec2:ModifyInstanceAttribute", "ec2:RequestSpotInstances", "ec2:RunInstances", "ec2:StartInstances", "ec2:StopInstances", "ec2:TerminateInstances", "elasticloadbalancing:Register*", "elasticloadbalancing:Deregister*", "elasticloadbalancing:Describe*", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "cloudwatch:PutMetricAlarm", "sns:Publish", "ssm:GetParameters"}},
	{Name: "CloudWatchAgentServerPolicy", Path: "/", Description: "Permissions required to use AmazonCloudWatchAgent on servers", Actions: []string{"cloudwatch:PutMetricData", "ec2:DescribeVolumes", "ec2:DescribeTags", "logs:PutLogEvents", "logs:PutRetentionPolicy", "logs:DescribeLogStreams", "logs:DescribeLogGroups", "logs:CreateLogStream", "logs:CreateLogGroup", "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries", "ssm:GetParameter"}},
	{Name: "CloudWatchFullAccess", Path: "/", Description: "Provides full access to CloudWatch.", Actions: []string{"autoscaling:Describe*", "cloudwatch:*", "logs:*", "sns:*", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetRole", "oam:ListSinks"}},
	{Name: "CloudWatchLogsFullAccess", Path: "/", Description: "Provides full access to CloudWatch Logs", Actions: []string{"logs:*", "cloudwatch:GenerateQuery"}},
	{Name: "CloudWatchLogsReadOnlyAccess", Path: "/", Description: "Provides read only access to CloudWatch Logs", Actions: []string{"logs:Describe*", "logs:Get*", "logs:List*", "logs:StartQuery", "logs:StopQuery", "logs:TestMetricFilter", "logs:FilterLogEvents", "logs:StartLiveTail", "logs:StopLiveTail", "cloudwatch:GenerateQuery"}},
	{Name: "CloudWatchReadOnlyAccess", Path: "/", Description: "Provides read only access to CloudWatch.", Actions: []string{"autoscaling:Describe*", "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "logs:Get*", "logs:List*", "logs:StartQuery", "logs:StopQuery", "logs:Describe*", "logs:TestMetricFilter", "logs:FilterLogEvents", "sns:Get*", "sns:List*"}},
	{Name: "ElasticLoadBalancingFullAccess", Path: "/", Description: "Provides full access to Amazon ElasticLoadBalancing, and limited access to other services necessary to provide ElasticLoadBalancing features.", Actions: []string{"elasticloadbalancing:*", "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeInternetGateways", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:DescribeVpcClassicLink", "ec2:DescribeInstances", "ec2:DescribeNetworkInterfaces", "ec2:DescribeClassicLinkInstances", "ec2:DescribeRouteTables", "ec2:DescribeCoipPools", "ec2:GetCoipPoolUsage", "ec2:DescribeVpcPeeringConnections", "cognito-idp:DescribeUserPoolClient"}},
	{Name: "ElasticLoadBalancingReadOnly", Path: "/", Description: "Provides read only access to Amazon ElasticLoadBalancing and dependent services", Actions: []string{"elasticloadbalancing:Describe*", "ec2:DescribeInstances", "ec2:DescribeClassicLinkInstances", "ec2:DescribeSecurityGroups"}},
	{Name: "IAMFullAccess", Path: "/", Description: "Provides full access to IAM via the AWS Management Console.", Actions: []string{"iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization", "organizations:DescribeOrganizationalUnit", "organizations:DescribePolicy", "organizations:ListChildren", "organizations:ListParents", "organizations:ListPoliciesForTarget", "organizations:ListRoots", "organizations:ListPolicies", "organizations:ListTargetsForPolicy"}},
	{Name: "IAMReadOnlyAccess", Path: "/", Description: "Provides read only access to IAM via the AWS Management Console.", Actions: []string{"iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails", "iam:Get*", "iam:List*", "iam:SimulateCustomPolicy", "iam:SimulatePrincipalPolicy"}},
	{Name: "PowerUserAccess", Path: "/", Description: "Provides full access to AWS services and resources, but does not allow management of Users and groups.", NotActions: []string{"iam:*", "organizations:*", "account:*"}},
	{Name: "ReadOnlyAccess", Path: "/", Description: "Provides read-only access to AWS services and resources.", Actions: []string{"application-autoscaling:Describe*", "autoscaling:Describe*", "cloudformation:Describe*", "cloudformation:Get*", "cloudformation:List*", "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "dynamodb:BatchGetItem", "dynamodb:Describe*", "dynamodb:GetItem", "dynamodb:List*", "dynamodb:Query", "dynamodb:Scan", "ec2:Describe*", "ec2:Get*", "ecr:BatchGetImage", "ecr:Describe*", "ecr:Get*", "ecr:List*", "ecs:Describe*", "ecs:List*", "elasticloadbalancing:Describe*", "events:Describe*", "events:List*", "events:TestEventPattern", "iam:Generate*", "iam:Get*", "iam:List*", "iam:Simulate*", "kms:Describe*", "kms:Get*", "kms:List*", "lambda:Get*", "lambda:List*", "logs:Describe*", "logs:FilterLogEvents", "logs:Get*", "logs:ListTagsLogGroup", "s3:DescribeJob", "s3:Get*", "s3:List*", "sns:Check*", "sns:Get*", "sns:List*", "sqs:Get*", "sqs:List*", "sqs:Receive*", "ssm:Describe*", "ssm:Get*", "ssm:List*", "sts:GetCallerIdentity", "synthetics:Describe*", "synthetics:Get*", "synthetics:List*", "tag:Get*"}},
	{Name: "SecretsManagerReadWrite", Path: "/", Description: "Provides read/write access to AWS Secrets Manager via the AWS Management Console.", Actions: []string{"secretsmanager:*", "cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:DescribeStackResource", "cloudformation:DescribeStacks", "cloudformation:ExecuteChangeSet", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs", "kms:DescribeKey", "kms:ListAliases", "kms:ListKeys", "lambda:ListFunctions", "rds:DescribeDBClusters", "rds:DescribeDBInstances", "redshift:DescribeClusters", "tag:GetResources"}},
}

const awsManagedARNPrefix = "arn:aws:iam::aws:policy/"

// findAWSManaged finds a catalog policy by ARN
// (arn:aws:iam::aws:policy<path><name>).
func findAWSManaged(arn string) (awsManagedPolicy, bool) {
	if !strings.HasPrefix(arn, awsManagedARNPrefix) {
		return awsManagedPolicy{}, false
	}
	for _, p := range awsManagedPolicies {
		if awsManagedARN(p) == arn {
			return p, true
		}
	}
	return awsManagedPolicy{}, false
}

func awsManagedARN(p awsManagedPolicy) string {
	return "arn:aws:iam::aws:policy" + p.Path + p.Name
}

// awsManagedID is a stable policy id for a catalog policy (AWS's are
// fixed too; these are derived from the name so they never change).
func awsManagedID(p awsManagedPolicy) string {
	sum := sha256.Sum256([]byte("aws-managed-policy/" + p.Name))
	return "ANPA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// awsManagedDocument renders the catalog policy's document.
func awsManagedDocument(p awsManagedPolicy) string {
	type stmt struct {
		Effect    string   `json:"Effect"`
		Action    any      `json:"Action,omitempty"`
		NotAction any      `json:"NotAction,omitempty"`
		Resource  string   `json:"Resource"`
		_         struct{} `json:"-"`
	}
	one := func(a []string) any {
		if len(a) == 1 {
			return a[0]
		}
		return a
	}
	st := stmt{Effect: "Allow", Resource: "*"}
	if len(p.Actions) > 0 {
		st.Action = one(p.Actions)
	}
	if len(p.NotActions) > 0 {
		st.NotAction = one(p.NotActions)
	}
	doc := struct {
		Version   string `json:"Version"`
		Statement []stmt `json:"Statement"`
	}{Version: "2012-10-17", Statement: []stmt{st}}
	b, _ := json.MarshalIndent(doc, "", "    ")
	return string(b)
}
