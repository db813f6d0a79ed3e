"""Anatomical constants the detector relies on, each with its source.

All lengths are relative to the distance between MediaPipe's two hip landmarks
(``hip_width``) or to the torso length (hip midpoint to shoulder midpoint), so that
they hold whatever the photo's scale.

Sources
-------
- FAUST body scans with CAESAR-style landmarks (100 scans): the posterior superior iliac
  spines (PSIS) lie 9.8 +- 1.2 cm above the trochanterion and 11.3 +- 1.1 cm apart.
- Hip joint centres lie about 0.36 x the inter-ASIS distance from the midline (Bell et al.,
  J Biomech 1990), about 17-18 cm apart in adults; MediaPipe's hip landmarks sit near them.
- Dimple radius 10-20 mm (the skin depression over the PSIS ligament); dimples 8-12 cm apart
  (../shared/DESIGN.md section 3).
- Adult torso length (hip joint centre to shoulder joint centre) about 45-52 cm.
"""

#: Typical distance between the hip joint centres, in millimetres; converts hip_width to mm.
HIP_WIDTH_MM = 175.0

#: Typical torso length (hip midpoint to shoulder midpoint) in millimetres.
TORSO_LENGTH_MM = 480.0

#: Expected half-spacing of the dimples from the midline, as a fraction of hip_width
#: (11.3 cm apart / 17.5 cm hip joints -> 0.32 each side), and the range searched.
DIMPLE_HALF_SPACING = 0.32
DIMPLE_HALF_SPACING_RANGE = (0.17, 0.50)

#: Expected height of the dimples above the hip line, as a fraction of hip_width
#: (PSIS 9.8 cm above the trochanterion, which lies ~3 cm below the hip joint centre).
DIMPLE_HEIGHT = 0.40
DIMPLE_HEIGHT_RANGE = (0.05, 0.85)

#: Dimple radius range in millimetres.
DIMPLE_RADIUS_MM = (10.0, 20.0)

#: The search region around the dimples, in hip_width units: half-width, and how far
#: below and above the hip line it reaches.
REGION_HALF_WIDTH = 0.62
REGION_BELOW_HIPS = 0.05
REGION_ABOVE_HIPS = 0.95
