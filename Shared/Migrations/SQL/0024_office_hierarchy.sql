-- Offices as a hierarchy (issue 17): the state, its districts, talukas and clusters of villages, and the offices in
-- them (tahsil offices, Zilla Parishads, municipal corporations and councils, universities, department offices),
-- each with a type, a parent and names in every language. A village is a row too (type 'village', its parent a
-- cluster), so an application can name its village and be placed by it. Imported from CSV (dakiya-admin offices
-- import); office_ancestors is the closure the dashboards sum over, rebuilt by each import.
ALTER TABLE offices ADD COLUMN type text NOT NULL DEFAULT 'department_office' CHECK (type IN (
    'state', 'district', 'taluka', 'cluster', 'village', 'tahsil_office', 'zilla_parishad', 'municipal_corporation',
    'municipal_council', 'university', 'department_office'));
ALTER TABLE offices ADD COLUMN parent_code text REFERENCES offices (code);
ALTER TABLE offices ADD CONSTRAINT offices_parent_check CHECK (parent_code IS DISTINCT FROM code);
CREATE INDEX offices_parent_idx ON offices (parent_code);

CREATE TABLE office_names (
    office_code  text NOT NULL REFERENCES offices (code) ON DELETE CASCADE,
    language     text NOT NULL REFERENCES languages (code),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    PRIMARY KEY (office_code, language)
);

-- Every (ancestor, office) pair, the office itself at depth 0.
CREATE TABLE office_ancestors (
    ancestor_code  text     NOT NULL REFERENCES offices (code) ON DELETE CASCADE,
    office_code    text     NOT NULL REFERENCES offices (code) ON DELETE CASCADE,
    depth          smallint NOT NULL CHECK (depth >= 0),
    PRIMARY KEY (ancestor_code, office_code)
);
CREATE INDEX office_ancestors_office_idx ON office_ancestors (office_code);

-- The village an application names (optional): a cluster team sees the applications of its villages.
ALTER TABLE applications ADD COLUMN village_code text REFERENCES offices (code);
CREATE INDEX applications_village_idx ON applications (village_code) WHERE village_code IS NOT NULL;
