package plan

import (
	"encoding/json"
	"io"
)

// jsonPlan is the --format json document. Field order is fixed by the struct; map keys are
// sorted by encoding/json, and resources keep registration order, so the output is stable
// for jq and policy scripts.
type jsonPlan struct {
	Project      string         `json:"project"`
	Stack        string         `json:"stack"`
	Region       string         `json:"region"`
	Environment  string         `json:"environment"`
	Resources    []jsonResource `json:"resources"`
	Outputs      map[string]any `json:"outputs"`
	Placeholders []string       `json:"placeholders"`
	// ImagePending: no image is configured; resources marked withFirstImage come with the first.
	ImagePending bool          `json:"imagePending"`
	Estimates    jsonEstimates `json:"estimates"`
	Violations   *[]Violation  `json:"violations,omitempty"`
}

type jsonResource struct {
	URN       string         `json:"urn"`
	Type      string         `json:"type"`
	Name      string         `json:"name"`
	Parent    string         `json:"parent"`
	Custom    bool           `json:"custom"`
	Protect   bool           `json:"protect"`
	DependsOn []string       `json:"dependsOn"`
	Inputs    map[string]any `json:"inputs"`
	// WithFirstImage: `pulumi up` creates it only once an image is configured.
	WithFirstImage bool `json:"withFirstImage,omitempty"`
}

type jsonEstimates struct {
	Rollout []Rollout `json:"rollout"`
	Cost    Cost      `json:"cost"`
}

func writeJSON(w io.Writer, g *Graph, check bool, violations []Violation) error {
	doc := jsonPlan{
		Project: g.Project, Stack: g.Stack, Region: g.Region, Environment: g.Environment,
		Resources: make([]jsonResource, 0, len(g.Resources)), Outputs: g.Outputs,
		Placeholders: append([]string{}, g.Placeholders...), ImagePending: g.ImagePending,
		Estimates: jsonEstimates{Rollout: append([]Rollout{}, EstimateRollout(g)...), Cost: EstimateCost(g)},
	}
	if doc.Outputs == nil {
		doc.Outputs = map[string]any{}
	}
	for _, r := range g.Resources {
		inputs := r.Inputs
		if inputs == nil {
			inputs = map[string]any{}
		}
		deps := r.DependsOn
		if deps == nil {
			deps = []string{}
		}
		doc.Resources = append(doc.Resources, jsonResource{
			URN: r.URN, Type: r.Type, Name: r.Name, Parent: r.Parent, Custom: r.Custom, Protect: r.Protect,
			DependsOn: deps, Inputs: inputs, WithFirstImage: r.WithFirstImage,
		})
	}
	if check {
		v := append([]Violation{}, violations...)
		doc.Violations = &v
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
