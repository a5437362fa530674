package artifact

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every kind of the catalog is made by exactly one product; names are unique.
func TestProductsCoverTheCatalog(t *testing.T) {
	owner := map[Kind]string{}
	names := map[string]bool{}
	for _, p := range Products {
		assert.False(t, names[p.Name], "product %s listed twice", p.Name)
		names[p.Name] = true
		assert.Positive(t, p.DiskGiB, p.Name)
		for _, k := range p.Kinds {
			assert.Empty(t, owner[k], "%s made by %s and %s", k, owner[k], p.Name)
			owner[k] = p.Name
		}
	}
	for _, s := range Catalog {
		assert.NotEmpty(t, owner[s.Kind], "no product makes %s", s.Kind)
		assert.NotEmpty(t, s.Purpose, "%s has no SPDX purpose", s.Kind)
	}
	// one product a repository, and its SBOM read from one of its own files
	for _, p := range Products {
		for _, k := range p.Kinds {
			assert.Equal(t, Get(p.Kinds[0]).Repo, Get(k).Repo, "%s: %s pushed elsewhere", p.Name, k)
		}
		got, ok := ProductOfRepo(Get(p.Kinds[0]).Repo)
		assert.True(t, ok && got.Name == p.Name, p.Name)
		assert.NotEmpty(t, p.SBOM.Text, p.Name)
		if p.SBOM.Read != "" {
			assert.Contains(t, p.Kinds, p.SBOM.From, "%s reads its SBOM from a file of its own", p.Name)
		}
	}
}

func TestProductNames(t *testing.T) {
	assert.Equal(t, `["linux-vm","baremetal-iso","wsl-bundle","bundle"]`, MatrixJSON(false))
	assert.Equal(t, `["linux-vm","baremetal-iso","wsl-bundle","bundle","baremetal-iso-offline"]`, MatrixJSON(true))
	p, err := GetProduct("baremetal-iso")
	require.NoError(t, err)
	assert.Equal(t, "qa-smoke-iso", p.Suite)
	_, err = GetProduct("iso")
	assert.ErrorContains(t, err, `artifact "iso": no job builds it (known: [linux-vm baremetal-iso wsl-bundle bundle baremetal-iso-offline])`)
}
