package infra

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Account is where the stack deploys. Looked up once and passed to every component,
// so IAM policies can be scoped to exact ARNs.
type Account struct {
	AccountID string
	Partition string // aws, aws-cn, aws-us-gov
	Region    string
}

// LookupAccount asks AWS who the deployer is; the region comes from config.
func LookupAccount(ctx *pulumi.Context, region string) (Account, error) {
	id, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return Account{}, fmt.Errorf("looking up the AWS account (are credentials set?): %w", err)
	}
	part, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return Account{}, fmt.Errorf("looking up the AWS partition: %w", err)
	}
	return Account{AccountID: id.AccountId, Partition: part.Partition, Region: region}, nil
}

// ARN builds a regional ARN in this account.
func (a Account) ARN(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", a.Partition, service, a.Region, a.AccountID, resource)
}

// ManagedPolicyARN names an AWS-managed IAM policy in this partition.
func (a Account) ManagedPolicyARN(path string) string {
	return fmt.Sprintf("arn:%s:iam::aws:policy/%s", a.Partition, path)
}

func (a Account) validate() error {
	if a.AccountID == "" || a.Partition == "" || a.Region == "" {
		return errors.New("Account: AccountID, Partition and Region are required (use LookupAccount)")
	}
	return nil
}

// PolicyDocument is an IAM policy. Built as data, not strings, so tests can parse and
// check every statement.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one IAM policy statement.
type Statement struct {
	Sid       string         `json:"Sid,omitempty"`
	Effect    string         `json:"Effect"`
	Principal map[string]any `json:"Principal,omitempty"`
	Action    []string       `json:"Action"`
	Resource  []string       `json:"Resource,omitempty"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// MarshalPolicy renders a policy document with the current policy language version.
func MarshalPolicy(d PolicyDocument) (string, error) {
	d.Version = "2012-10-17"
	b, err := json.Marshal(d)
	return string(b), err
}

// trustPolicy lets one AWS service assume a role. conditions nil is the plain trust AWS documents.
func trustPolicy(service string, conditions map[string]any) PolicyDocument {
	return PolicyDocument{Statement: []Statement{{
		Effect:    "Allow",
		Principal: map[string]any{"Service": service},
		Action:    []string{"sts:AssumeRole"},
		Condition: conditions,
	}}}
}

// sourceGuard limits a service principal to acting for this account and, when sourceArnPattern is
// set, for matching resources only (the confused-deputy guard).
func (a Account) sourceGuard(sourceArnPattern string) map[string]any {
	c := map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": a.AccountID}}
	if sourceArnPattern != "" {
		c["ArnLike"] = map[string]any{"aws:SourceArn": sourceArnPattern}
	}
	return c
}
