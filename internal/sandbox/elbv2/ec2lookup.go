package elbv2

import (
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

// The sandbox's EC2 (internal/sandbox/ec2) owns VPCs, subnets and security
// groups. Load balancers and ECS tasks must be placed in real ones, so these
// read-only lookups read the EC2 documents (namespace "ec2/<kind>", key
// "<region>/<id>"). Only the few fields needed are decoded; if EC2's
// document shape changes, the tests of this package and of ecs fail.

// Subnet is what other services need to know about an EC2 subnet.
type Subnet struct {
	ID        string `json:"id"`
	VpcID     string `json:"vpc_id"`
	CidrBlock string `json:"cidr_block"`
	AZ        string `json:"az"`
	AZID      string `json:"az_id"`
}

// SecurityGroup is what other services need to know about an EC2 security
// group.
type SecurityGroup struct {
	ID    string `json:"id"`
	VpcID string `json:"vpc_id"`
}

// VPC is what other services need to know about an EC2 VPC.
type VPC struct {
	ID          string `json:"id"`
	CidrBlock   string `json:"cidr_block"`
	DefaultSGID string `json:"default_sg_id"`
}

// LookupSubnet reads a subnet of the sandbox's EC2; ok is false when it does
// not exist.
func LookupSubnet(tx *state.Tx, region, id string) (Subnet, bool, error) {
	var v Subnet
	ok, err := lookup(tx, "ec2/subnet", region, id, &v)
	return v, ok, err
}

// LookupSecurityGroup reads a security group of the sandbox's EC2.
func LookupSecurityGroup(tx *state.Tx, region, id string) (SecurityGroup, bool, error) {
	var v SecurityGroup
	ok, err := lookup(tx, "ec2/sg", region, id, &v)
	return v, ok, err
}

// LookupVPC reads a VPC of the sandbox's EC2.
func LookupVPC(tx *state.Tx, region, id string) (VPC, bool, error) {
	var v VPC
	ok, err := lookup(tx, "ec2/vpc", region, id, &v)
	return v, ok, err
}

func lookup(tx *state.Tx, ns, region, id string, v any) (bool, error) {
	if id == "" {
		return false, nil
	}
	err := tx.Get(ns, region+"/"+id, v)
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
