package lambda

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/vigil-sre/vigil/internal/sandbox/service"
	"github.com/vigil-sre/vigil/internal/sandbox/state"
)

var (
	statementIDRE = regexp.MustCompile(`^([a-zA-Z0-9-_.]+)$`)
	actionRE      = regexp.MustCompile(`^(lambda:[*]|lambda:[a-zA-Z]+|[*])$`)
	principalRE   = regexp.MustCompile(`^[^\s]+$`)
	orgIDRE       = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

type addPermissionInput struct {
	StatementId           string `json:"StatementId"`
	Action                string `json:"Action"`
	Principal             string `json:"Principal"`
	SourceArn             string `json:"SourceArn"`
	SourceAccount         string `json:"SourceAccount"`
	EventSourceToken      string `json:"EventSourceToken"`
	RevisionId            string `json:"RevisionId"`
	PrincipalOrgID        string `json:"PrincipalOrgID"`
	FunctionUrlAuthType   string `json:"FunctionUrlAuthType"`
	InvokedViaFunctionUrl *bool  `json:"InvokedViaFunctionUrl"`
}

// principal turns AddPermission's Principal into a policy principal, as
// AWS does: services stay services, account ids become root ARNs.
func principal(p string) (any, error) {
	switch {
	case p == "*":
		return "*", nil
	case accountRE.MatchString(p):
		return map[string]string{"AWS": "arn:aws:iam::" + p + ":root"}, nil
	case strings.HasPrefix(p, "arn:"):
		return map[string]string{"AWS": p}, nil
	case strings.Contains(p, ".") && principalRE.MatchString(p):
		return map[string]string{"Service": p}, nil
	}
	return nil, errInvalid("The provided principal was invalid. Please check the principal and try again.")
}

func (in *addPermissionInput) validate() error {
	switch {
	case in.StatementId == "" || len(in.StatementId) > 100 || !statementIDRE.MatchString(in.StatementId):
		return errValidation("statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)", in.StatementId)
	case !actionRE.MatchString(in.Action):
		return errValidation("action", "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])", in.Action)
	case in.Principal == "" || !principalRE.MatchString(in.Principal):
		return errValidation("principal", `Member must satisfy regular expression pattern: [^\s]+`, in.Principal)
	case in.SourceArn != "" && !arnRE.MatchString(in.SourceArn):
		return errValidation("sourceArn", `Member must satisfy regular expression pattern: arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)`, in.SourceArn)
	case in.SourceAccount != "" && !accountRE.MatchString(in.SourceAccount):
		return errValidation("sourceAccount", `Member must satisfy regular expression pattern: \d{12}`, in.SourceAccount)
	case in.PrincipalOrgID != "" && !orgIDRE.MatchString(in.PrincipalOrgID):
		return errValidation("principalOrgID", "Member must satisfy regular expression pattern: ^o-[a-z0-9]{10,32}$", in.PrincipalOrgID)
	case in.FunctionUrlAuthType != "":
		return oneOf("functionUrlAuthType", in.FunctionUrlAuthType, "NONE", "AWS_IAM")
	}
	return nil
}

func (in *addPermissionInput) statement(resource string) (Statement, error) {
	p, err := principal(in.Principal)
	if err != nil {
		return Statement{}, err
	}
	st := Statement{Sid: in.StatementId, Effect: "Allow", Principal: p, Action: in.Action, Resource: resource}
	cond := func(op, key, v string) {
		if st.Condition == nil {
			st.Condition = map[string]map[string]string{}
		}
		if st.Condition[op] == nil {
			st.Condition[op] = map[string]string{}
		}
		st.Condition[op][key] = v
	}
	if in.SourceAccount != "" {
		cond("StringEquals", "AWS:SourceAccount", in.SourceAccount)
	}
	if in.EventSourceToken != "" {
		cond("StringEquals", "lambda:EventSourceToken", in.EventSourceToken)
	}
	if in.PrincipalOrgID != "" {
		cond("StringEquals", "aws:PrincipalOrgID", in.PrincipalOrgID)
	}
	if in.FunctionUrlAuthType != "" {
		cond("StringEquals", "lambda:FunctionUrlAuthType", in.FunctionUrlAuthType)
	}
	if in.InvokedViaFunctionUrl != nil && *in.InvokedViaFunctionUrl {
		cond("Bool", "lambda:InvokedViaFunctionUrl", "true")
	}
	if in.SourceArn != "" {
		cond("ArnLike", "AWS:SourceArn", in.SourceArn)
	}
	return st, nil
}

// policyQualifier parses the function and qualifier of a policy call and
// checks that the qualifier exists. $LATEST is the unqualified function.
func (s *Service) policyQualifier(tx *state.Tx, fr ref) (*functionDoc, string, error) {
	f, err := s.mustFunction(tx, fr)
	if err != nil {
		return nil, "", err
	}
	q := fr.qualifier
	if q == "$LATEST" {
		q = ""
	}
	ok, err := qualifierExists(tx, fr.region, fr.name, q)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", errFunctionNotFound(s.functionARN(fr.region, fr.name) + ":" + q)
	}
	return f, q, nil
}

func (s *Service) addPermission(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.target(r, c)
	if err != nil {
		return fail(err)
	}
	var in addPermissionInput
	if err := decode(c.Body, &in); err != nil {
		return fail(err)
	}
	if err := in.validate(); err != nil {
		return fail(err)
	}
	var stmt Statement
	err = s.update(ctx, func(tx *state.Tx) error {
		f, q, err := s.policyQualifier(tx, fr)
		if err != nil {
			return err
		}
		resource := s.functionARN(fr.region, fr.name)
		if q != "" {
			resource += ":" + q
		}
		if f.Policies == nil {
			f.Policies = map[string]*policyDoc{}
		}
		p := f.Policies[q]
		if p == nil {
			p = &policyDoc{}
			f.Policies[q] = p
		}
		if in.RevisionId != "" && in.RevisionId != p.RevisionID {
			return errRevision()
		}
		for _, st := range p.Statements {
			if st.Sid == in.StatementId {
				return errConflict("The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", in.StatementId)
			}
		}
		if stmt, err = in.statement(resource); err != nil {
			return err
		}
		p.Statements = append(p.Statements, stmt)
		p.RevisionID = newRevisionID()
		return putFunction(tx, f)
	})
	if err != nil {
		return fail(err)
	}
	b, _ := json.Marshal(stmt)
	return status(http.StatusCreated, map[string]string{"Statement": string(b)})
}

// policyJSON renders a resource policy document.
func policyJSON(p *policyDoc) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": p.Statements})
	return string(b)
}

func (s *Service) getPolicy(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.target(r, c)
	if err != nil {
		return fail(err)
	}
	var out map[string]string
	err = s.view(ctx, func(tx *state.Tx) error {
		f, q, err := s.policyQualifier(tx, fr)
		if err != nil {
			return err
		}
		p := f.Policies[q]
		if p == nil || len(p.Statements) == 0 {
			return errNotFound("The resource you requested does not exist.")
		}
		out = map[string]string{"Policy": policyJSON(p), "RevisionId": p.RevisionID}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return ok(out)
}

func (s *Service) removePermission(ctx context.Context, r *service.Request, c *service.RESTCall) (service.RESTResult, error) {
	fr, err := s.target(r, c)
	if err != nil {
		return fail(err)
	}
	sid := c.Path["StatementId"]
	if !statementIDRE.MatchString(sid) {
		return fail(errValidation("statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)", sid))
	}
	rev := c.Query.Get("RevisionId")
	err = s.update(ctx, func(tx *state.Tx) error {
		f, q, err := s.policyQualifier(tx, fr)
		if err != nil {
			return err
		}
		p := f.Policies[q]
		if p == nil || len(p.Statements) == 0 {
			return errNotFound("No policy is associated with the given resource.")
		}
		if rev != "" && rev != p.RevisionID {
			return errRevision()
		}
		i := -1
		for j, st := range p.Statements {
			if st.Sid == sid {
				i = j
			}
		}
		if i < 0 {
			return errNotFound("Statement %s is not found in resource policy.", sid)
		}
		p.Statements = append(p.Statements[:i], p.Statements[i+1:]...)
		p.RevisionID = newRevisionID()
		if len(p.Statements) == 0 {
			delete(f.Policies, q)
		}
		return putFunction(tx, f)
	})
	if err != nil {
		return fail(err)
	}
	return status(http.StatusNoContent, nil)
}
