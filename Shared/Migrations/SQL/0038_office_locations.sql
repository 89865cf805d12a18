-- Where an office or village is (WGS 84, as CAP 1.2 writes its polygons and circles): an alert's polygon or circle
-- reaches the citizens whose application's village lies inside it (or, with no village, whose office does).
-- Optional: imported with dakiya-admin offices locations; a place without one is never inside a polygon.
ALTER TABLE offices ADD COLUMN latitude double precision CHECK (latitude BETWEEN -90 AND 90);
ALTER TABLE offices ADD COLUMN longitude double precision CHECK (longitude BETWEEN -180 AND 180);
ALTER TABLE offices ADD CONSTRAINT offices_location_check CHECK ((latitude IS NULL) = (longitude IS NULL));
CREATE INDEX applications_office_idx ON applications (office_code);
