package ghci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client is the little of GitHub's REST API vigil ci uses.
type Client struct {
	// BaseURL is GITHUB_API_URL.
	BaseURL string
	// Token is GITHUB_TOKEN; sent only in the Authorization header.
	Token string
	HTTP  *http.Client
}

// NewClient returns a client for the API at base.
func NewClient(base, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{BaseURL: strings.TrimRight(base, "/"), Token: token, HTTP: hc}
}

// APIError is a non-2xx answer.
type APIError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("GitHub API %s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
}

func (c *Client) get(ctx context.Context, path string, out any) (http.Header, error) {
	return c.do(ctx, http.MethodGet, path, nil, out)
}

// do sends one request (in, when set, as the JSON body) and decodes a 2xx
// answer into out.
func (c *Client) do(ctx context.Context, method, path string, in, out any) (http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		// *url.Error quotes the URL, never the header.
		return nil, fmt.Errorf("GitHub API %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("GitHub API %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var m struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(respBody, &m)
		if m.Message == "" {
			m.Message = http.StatusText(resp.StatusCode)
		}
		return nil, &APIError{Method: method, Path: path, Status: resp.StatusCode, Message: m.Message}
	}
	if out == nil {
		return resp.Header, nil
	}
	if err := json.Unmarshal(respBody, out); err != nil {
		return nil, fmt.Errorf("GitHub API %s %s: the answer is not the expected JSON: %w", method, path, err)
	}
	return resp.Header, nil
}

func repoPath(repo string) (string, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", fmt.Errorf("repository %q is not owner/name (GITHUB_REPOSITORY)", repo)
	}
	return "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name), nil
}

// PullsForCommit lists the pull requests a commit belongs to
// (GET /repos/{owner}/{repo}/commits/{sha}/pulls).
func (c *Client) PullsForCommit(ctx context.Context, repo, sha string) ([]PullRequest, error) {
	rp, err := repoPath(repo)
	if err != nil {
		return nil, err
	}
	var prs []PullRequest
	_, err = c.get(ctx, rp+"/commits/"+url.PathEscape(sha)+"/pulls?per_page=100", &prs)
	return prs, err
}

// IssueComments lists every comment of an issue or pull request, oldest
// first, following the pages.
func (c *Client) IssueComments(ctx context.Context, repo string, number int) ([]IssueComment, error) {
	rp, err := repoPath(repo)
	if err != nil {
		return nil, err
	}
	var all []IssueComment
	for page := 1; page <= 100; page++ {
		var cs []IssueComment
		h, err := c.get(ctx, fmt.Sprintf("%s/issues/%d/comments?per_page=100&page=%d", rp, number, page), &cs)
		if err != nil {
			return nil, err
		}
		all = append(all, cs...)
		if len(cs) < 100 || !strings.Contains(h.Get("Link"), `rel="next"`) {
			return all, nil
		}
	}
	return all, nil
}

// RunApprovals lists the deployment reviews of a workflow run
// (GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals).
func (c *Client) RunApprovals(ctx context.Context, repo, runID string) ([]Approval, error) {
	rp, err := repoPath(repo)
	if err != nil {
		return nil, err
	}
	if runID == "" {
		return nil, fmt.Errorf("GITHUB_RUN_ID is not set: the approvals of this run cannot be read")
	}
	var as []Approval
	_, err = c.get(ctx, rp+"/actions/runs/"+url.PathEscape(runID)+"/approvals", &as)
	return as, err
}

// CreateComment comments on an issue or pull request
// (POST /repos/{owner}/{repo}/issues/{number}/comments; the token needs
// pull-requests: write).
func (c *Client) CreateComment(ctx context.Context, repo string, number int, body string) (*IssueComment, error) {
	rp, err := repoPath(repo)
	if err != nil {
		return nil, err
	}
	var out IssueComment
	if _, err := c.do(ctx, http.MethodPost, fmt.Sprintf("%s/issues/%d/comments", rp, number), map[string]string{"body": body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateComment replaces a comment's body
// (PATCH /repos/{owner}/{repo}/issues/comments/{id}).
func (c *Client) UpdateComment(ctx context.Context, repo string, id int64, body string) (*IssueComment, error) {
	rp, err := repoPath(repo)
	if err != nil {
		return nil, err
	}
	var out IssueComment
	if _, err := c.do(ctx, http.MethodPatch, fmt.Sprintf("%s/issues/comments/%d", rp, id), map[string]string{"body": body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
